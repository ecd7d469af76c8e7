import { CommandBus } from '@nestjs/cqrs';
import { SingleBar, Presets } from 'cli-progress';
import { Command } from 'commander';
import { ControlLogVerifier } from '@tally/auth';
import { DomainError, formatMicros, hashOf, newId, parseAmount, shapeOf, unreadableNumberMessage } from '@tally/shared';
import {
  accountRef,
  AccountIdempotency,
  CreateAccountCommand,
  IDEMPOTENCY_KEY,
  ISSUANCE,
  isBoundedObject,
  LedgerVerifier,
  MEMO_MAX_LENGTH,
  METADATA_MAX_BYTES,
  PostTransferCommand,
  simpleLegs,
  accountTypeInputs,
} from '@tally/ledger';
import { SettlementVerifier } from '@tally/settlement';
import { asControlAction, Cli, EXIT, once, oneOf, withExamples } from '../cli-command';
import { ledgerJournalCommands } from './ledger-journal.commands';

/** The --metadata option: what the API takes as metadata (a JSON object of bounded size). */
function metadataOf(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('It must be JSON.');
  }
  // As the API refuses them in a body: JSON.parse would store 1e400 as null and keep one of two "a" keys.
  const shape = shapeOf(text);
  if (shape.unreadableNumber) throw new Error(`${unreadableNumberMessage(shape.unreadableNumber)}.`);
  if (shape.duplicateKey !== undefined) throw new Error('It names a key twice in one object.');
  if (!isBoundedObject(value, METADATA_MAX_BYTES)) {
    throw new Error(`It must be a JSON object of at most ${METADATA_MAX_BYTES} bytes.`);
  }
  return value;
}

function memoOf(text: string): string {
  if (text.length > MEMO_MAX_LENGTH) throw new Error(`It must be at most ${MEMO_MAX_LENGTH} characters.`);
  return text;
}

function idempotencyKeyOf(text: string): string {
  if (!IDEMPOTENCY_KEY.test(text)) throw new Error('It must be 1-255 printable ASCII characters.');
  return text;
}

const IDEMPOTENCY_HELP = 'run it again with the same key and it takes effect once (default: a new uuid, printed)';

/**
 * The key a command runs under, under the CLI's own scope (an API key's requests have
 * theirs): given, or generated and printed so that a re-run after a failure can reuse it.
 */
function idempotency(given: string | undefined, request: Record<string, unknown>): AccountIdempotency {
  const key = given ?? newId();
  if (given === undefined) console.log(`idempotency key: ${key} (to retry: --idempotency-key ${key})`);
  return { scope: 'cli', key, requestHash: hashOf(request) };
}

// Below this many accounts a progress bar is noise.
const PROGRESS_THRESHOLD = 2000;

/** `accounts create`, `mint` and `ledger verify|rebuild|diff`: on the database, under the ledger's own rules. */
export function ledgerCommands(program: Command, cli: Cli): void {
  const accounts = program.command('accounts').description('user and provider accounts');
  withExamples(
    accounts
      .command('create')
      .description('create a user or provider account (an existing one is left as it is)')
      .requiredOption(
        '--type <type>',
        'user or provider (prover)',
        once(oneOf(accountTypeInputs(['user', 'provider']))),
      )
      .requiredOption('--id <owner>', "the account's owner: the client or prover id", once())
      .option('--metadata <json>', `a JSON object of at most ${METADATA_MAX_BYTES} bytes`, once(metadataOf))
      .option('--idempotency-key <key>', IDEMPOTENCY_HELP, once(idempotencyKeyOf))
      .action(
        cli.action(
          async (opts: { type: string; id: string; metadata?: Record<string, unknown>; idempotencyKey?: string }) => {
            const ref = accountRef(opts.type, opts.id);
            const metadata = opts.metadata ?? {};
            const key = idempotency(opts.idempotencyKey, { command: 'accounts create', ref, metadata });
            const app = await cli.open();
            const fields = { account_type: ref.kind, account_id: ref.owner, metadata, idempotency_key: key.key };
            const { account, created, replayed } = await asControlAction(app, 'credits.createAccount', fields, () =>
              app.get(CommandBus).execute(new CreateAccountCommand(ref, metadata, key)),
            );
            const replay = replayed ? ' (replayed: this key ran before)' : '';
            console.log(`${created ? 'created' : 'exists'}: ${account.kind}/${account.owner}${replay}`);
            return EXIT.ok;
          },
        ),
      ),
    'accounts create --type user --id alice --metadata \'{"team":"research"}\'',
  );

  withExamples(
    program
      .command('mint')
      .description('mint credits from the issuance account into an account')
      .requiredOption(
        '--type <type>',
        'user, provider (prover) or platform',
        once(oneOf(accountTypeInputs(['user', 'provider', 'platform']))),
      )
      .requiredOption('--id <owner>', "the account's owner (platform: main)", once())
      .requiredOption('--amount <credits>', 'decimal credits, up to 6 decimals: 100, 0.5', once(parseAmount))
      .option('--memo <text>', `a note on the transfer, at most ${MEMO_MAX_LENGTH} characters`, once(memoOf))
      .option('--idempotency-key <key>', IDEMPOTENCY_HELP, once(idempotencyKeyOf))
      .action(
        cli.action(
          async (opts: { type: string; id: string; amount: bigint; memo?: string; idempotencyKey?: string }) => {
            const to = accountRef(opts.type, opts.id);
            const request = { command: 'mint', to, amount: opts.amount.toString(), memo: opts.memo ?? null };
            const key = idempotency(opts.idempotencyKey, request);
            const app = await cli.open();
            const fields = {
              account_type: to.kind,
              account_id: to.owner,
              amount: formatMicros(opts.amount),
              memo: opts.memo ?? null,
              idempotency_key: key.key,
            };
            let result;
            try {
              // A refusal commits with its log row: the ledger keeps it under the idempotency key.
              result = await asControlAction(
                app,
                'credits.mint',
                fields,
                async () => {
                  const posted = await app.get(CommandBus).execute(
                    new PostTransferCommand({
                      id: newId(),
                      kind: 'mint',
                      legs: simpleLegs(ISSUANCE, to, opts.amount),
                      memo: opts.memo,
                      idempotency: key,
                    }),
                  );
                  if (!posted.ok) throw posted.error;
                  return posted;
                },
                { keepsRejections: true },
              );
            } catch (error) {
              if (!(error instanceof DomainError)) throw error;
              console.error(`${error.code}: ${error.message}`);
              return EXIT.failed;
            }
            const replay = result.replayed ? ' (replayed: this key minted before, nothing new)' : '';
            console.log(
              `minted ${formatMicros(opts.amount)} to ${to.kind}/${to.owner}: transfer ${result.transfer.id}${replay}`,
            );
            return EXIT.ok;
          },
        ),
      ),
    'mint --type user --id alice --amount 100',
    'mint --type user --id alice --amount 100 --idempotency-key 0b9d6c9e-5c3f-4d0e-9a51-1b7e1c2d3f4a',
  );

  const ledger = program.command('ledger').description('checks of the whole ledger');
  withExamples(
    ledger
      .command('verify')
      .description(
        'recompute every balance, counter and hash chain, every settlement batch, and the control log chain; exit 1 on any difference',
      )
      .action(
        cli.action(async () => {
          const app = await cli.open();
          const bar = new SingleBar({ format: 'verifying accounts [{bar}] {value}/{total}' }, Presets.shades_classic);
          let shown = false;
          const report = await app.get(LedgerVerifier).verify({
            start: (total) => {
              shown = total >= PROGRESS_THRESHOLD && process.stderr.isTTY === true;
              if (shown) bar.start(total, 0);
            },
            advance: (by) => shown && bar.increment(by),
            stop: () => shown && bar.stop(),
          });
          console.log(`${report.accounts} accounts, ${report.transfers} transfers, ${report.entries} entries checked`);
          const settlement = await app.get(SettlementVerifier).verify();
          console.log(`${settlement.batches} settlement batches holding ${settlement.transfers} transfers checked`);
          const control = await app.get(ControlLogVerifier).verify();
          console.log(
            `${control.rows} control-log rows checked${control.unchained ? ` (${control.unchained} not chained yet)` : ''}`,
          );
          const problems = [...report.problems, ...settlement.problems, ...control.problems];
          if (problems.length === 0) {
            console.log('ledger OK: every transfer balances, balances sum to zero, counters and hash chains match');
            console.log(
              'settlement OK: every batch recomputes from the journal, is signed and chained, no transfer missing or twice',
            );
            console.log('control log OK: every row is chained to the one before and its hash recomputes');
            return EXIT.ok;
          }
          console.error(`ledger has ${problems.length} problem(s):`);
          problems.forEach((p) => console.error(`  - ${p}`));
          return EXIT.failed;
        }),
      ),
    'ledger verify',
  );
  ledgerJournalCommands(ledger, cli);
}
