import { CommandBus } from '@nestjs/cqrs';
import { SingleBar, Presets } from 'cli-progress';
import { formatMicros, newId, parseAmount, shapeOf, unreadableNumberMessage } from '@tally/shared';
import {
  accountRef,
  CreateAccountCommand,
  ISSUANCE,
  isBoundedObject,
  LedgerVerifier,
  MEMO_MAX_LENGTH,
  METADATA_MAX_BYTES,
  PostTransferCommand,
  simpleLegs,
} from '@tally/ledger';
import { SettlementVerifier } from '@tally/settlement';
import { CliCommand, CliUsageError, oneOf, optionalFlag, requireFlag } from '../cli-command';

/** The --metadata flag: what the API takes as metadata (a JSON object of bounded size). */
function metadataOf(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CliUsageError('--metadata must be JSON');
  }
  // As the API refuses them in a body: JSON.parse would store 1e400 as null and keep one of two "a" keys.
  const shape = shapeOf(text);
  if (shape.unreadableNumber) throw new CliUsageError(`--metadata: ${unreadableNumberMessage(shape.unreadableNumber)}`);
  if (shape.duplicateKey !== undefined) throw new CliUsageError('--metadata names a key twice in one object');
  if (!isBoundedObject(value, METADATA_MAX_BYTES)) {
    throw new CliUsageError(`--metadata must be a JSON object of at most ${METADATA_MAX_BYTES} bytes`);
  }
  return value;
}

// Below this many accounts a progress bar is noise.
const PROGRESS_THRESHOLD = 2000;

export const accountsCreate: CliCommand = {
  name: 'accounts create',
  usage: 'accounts create --type user|provider --id OWNER [--metadata JSON]',
  async run(open, args) {
    const ref = accountRef(oneOf('type', requireFlag(args, 'type'), ['user', 'provider']), requireFlag(args, 'id'));
    const metadata = metadataOf(optionalFlag(args, 'metadata'));
    const { account, created } = await (await open()).get(CommandBus).execute(new CreateAccountCommand(ref, metadata));
    console.log(`${created ? 'created' : 'exists'}: ${account.kind}/${account.owner}`);
    return 0;
  },
};

export const mint: CliCommand = {
  name: 'mint',
  usage: 'mint --type user|provider|platform --id OWNER --amount 100 [--memo TEXT]',
  async run(open, args) {
    const type = oneOf('type', requireFlag(args, 'type'), ['user', 'provider', 'platform']);
    const to = accountRef(type, requireFlag(args, 'id'));
    const amount = parseAmount(requireFlag(args, 'amount'));
    const memo = optionalFlag(args, 'memo');
    if (memo !== undefined && memo.length > MEMO_MAX_LENGTH) {
      throw new CliUsageError(`--memo must be at most ${MEMO_MAX_LENGTH} characters`);
    }
    const app = await open();
    const result = await app
      .get(CommandBus)
      .execute(new PostTransferCommand({ id: newId(), kind: 'mint', legs: simpleLegs(ISSUANCE, to, amount), memo }));
    if (!result.ok) {
      console.error(`${result.error.code}: ${result.error.message}`);
      return 1;
    }
    console.log(`minted ${formatMicros(amount)} to ${to.kind}/${to.owner}: transfer ${result.transfer.id}`);
    return 0;
  },
};

/** Recomputes the ledger and the settlement batch chain from the journal; exits 1 on any difference. */
export const ledgerVerify: CliCommand = {
  name: 'ledger verify',
  usage: 'ledger verify',
  async run(open) {
    const app = await open();
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
    const problems = [...report.problems, ...settlement.problems];
    if (problems.length === 0) {
      console.log('ledger OK: every transfer balances, balances sum to zero, counters and hash chains match');
      console.log(
        'settlement OK: every batch recomputes from the journal, is signed and chained, no transfer missing or twice',
      );
      return 0;
    }
    console.error(`ledger has ${problems.length} problem(s):`);
    problems.forEach((p) => console.error(`  - ${p}`));
    return 1;
  },
};

export const LEDGER_COMMANDS = [accountsCreate, mint, ledgerVerify];
