// What every binary's entry point does around its main (cmd/<bin>/main.ts): stop on SIGTERM or
// SIGINT, and end a failed start with the exit code and words the binary's kind uses.
import { FlagError } from './flags.js';
import { logger, type Logger } from './log.js';

/** Calls `stop` with the signal's name on SIGTERM and on SIGINT (once each). */
export function onStopSignal(stop: (signal: 'SIGTERM' | 'SIGINT') => Promise<void>): void {
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

/**
 * Runs a binary's main: a FlagError (a bad command line) ends it with `error: MSG` on stderr and
 * exit code 2; any other failure is logged as the component's fatal error, with its stack, and
 * exit code 1; `explain` may log a failure it knows in its own words instead (answering true).
 */
export function runMain(component: string, main: () => Promise<void>, explain?: (e: unknown, log: Logger) => boolean): void {
  main().catch((e: unknown) => {
    if (e instanceof FlagError) {
      process.stderr.write(`error: ${e.message}\n`);
      process.exit(2);
    }
    const log = logger(component);
    if (!explain?.(e, log)) log.error('fatal', { err: e instanceof Error ? e.stack : String(e) });
    process.exit(1);
  });
}
