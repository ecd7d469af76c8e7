import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { loadDotEnv } from '@tally/shared';
import { CliUsageError, EXIT, once, withExamples, type Cli } from '../cli-command';
import { MAX_BATCH_ITEMS } from '../import/jsonl-batches';
import { ResumeMismatch, runImport, summary } from '../import/run-import';

function batchSizeOf(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_BATCH_ITEMS)
    throw new Error(`It must be a whole number from 1 to ${MAX_BATCH_ITEMS}.`);
  return n;
}

function httpUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error('It must be an http:// or https:// URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('It must be an http:// or https:// URL.');
  return text;
}

const HOW_IT_RESUMES = `
Each line is one item of POST /v1/credits/transfers/batch (its Item shape, with its own id).
Lines go in batches of whole linked chains (a chain is never split between two requests).
Every rejected item (line, id, code, reason, detail) goes to the rejections file as a JSON line;
a line that is not a JSON object is rejected there with DSE-001. At the end a summary (posted,
replayed, rejected by code) goes to stdout. Network errors, timeouts, 429 and 502-504 are
retried with the same batch (Retry-After respected).

Resuming: items are idempotent by their ids, so running the same file again posts nothing twice
(the server answers what it posted before as replays). After each batch the last line done is
written to <file>.progress (beside the rejections file); --resume starts after that line, keeps
the rejections recorded up to it and counts on from its totals. A batch in flight when the
import stopped is sent again and answered as replays.`;

/** `import <file.jsonl>`: a JSON Lines file of batch items, streamed to a running server. */
export function importCommand(program: Command, cli: Cli): void {
  withExamples(
    program
      .command('import')
      .description(
        'stream a JSON Lines file of transfers to a running server through the batch route; exit 1 if any item was rejected',
      )
      .argument('<file>', 'a .jsonl file, one batch item per line')
      .option('--url <url>', 'the server (default: TALLY_URL, or http://localhost:3000)', once(httpUrl))
      .option(
        '--key <key>',
        'an API key: admin, or a client key for its own transfers (default: TALLY_ADMIN_KEY)',
        once(),
      )
      .option('--batch-size <n>', `items per request (default and most: ${MAX_BATCH_ITEMS})`, once(batchSizeOf))
      .option('--rejections <file>', 'where rejected items go (default: <file>.rejections.jsonl)', once())
      .option('--resume', 'start after the last batch recorded in <file>.progress (see below)')
      .addHelpText('after', HOW_IT_RESUMES)
      .action(
        cli.action(
          async (
            file: string,
            opts: { url?: string; key?: string; batchSize?: number; rejections?: string; resume?: boolean },
          ) => {
            loadDotEnv();
            const url = opts.url ?? process.env.TALLY_URL ?? 'http://localhost:3000';
            if (opts.url === undefined) httpUrlOrUsage(url);
            const key = opts.key ?? process.env.TALLY_ADMIN_KEY;
            if (!key) throw new CliUsageError('an API key is required: --key, or TALLY_ADMIN_KEY');
            if (!existsSync(file)) throw new Error(`cannot read the input file ${file}: it does not exist`);
            const options = {
              file,
              url,
              key,
              batchSize: opts.batchSize ?? MAX_BATCH_ITEMS,
              rejections: opts.rejections ?? `${file}.rejections.jsonl`,
              progress: `${file}.progress`,
              resume: opts.resume === true,
            };
            let result;
            try {
              result = await runImport(options);
            } catch (error) {
              if (error instanceof ResumeMismatch) throw new CliUsageError(error.message);
              throw error;
            }
            summary(result, options).forEach((line) => console.log(line));
            if (result.stopped !== undefined) {
              console.error(
                `import stopped after line ${result.line}: ${result.stopped}\n(run it again with --resume to go on from there)`,
              );
              return EXIT.failed;
            }
            return Object.keys(result.counts.rejected).length > 0 ? EXIT.failed : EXIT.ok;
          },
        ),
      ),
    'import transfers.jsonl --url http://localhost:3000 --key "$TALLY_ADMIN_KEY"',
    'import transfers.jsonl --resume   (after an interruption: goes on after the last recorded batch)',
  );
}

function httpUrlOrUsage(url: string): void {
  try {
    httpUrl(url);
  } catch {
    throw new CliUsageError(`TALLY_URL "${url}" is not an http:// or https:// URL`);
  }
}
