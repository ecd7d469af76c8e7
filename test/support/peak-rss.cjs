/* global process */
// Preloaded into a CLI run whose memory a test measures: prints the process's peak resident set on exit.
process.on('exit', () => process.stderr.write(`\npeak-rss-kb ${process.resourceUsage().maxRSS}\n`));
