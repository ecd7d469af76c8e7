import { Command } from '@nestjs/cqrs';

/**
 * Closes the dispute windows that have run out: pays each undisputed job's pending rewards
 * and moves the jobs whose audit entry is logged to AUDITED; returns how many jobs it
 * released or audited.
 */
export class CloseDisputeWindowsCommand extends Command<number> {}
