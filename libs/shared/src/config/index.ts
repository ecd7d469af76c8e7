export * from './tally-env';
export * from './tally-config.module';
export * from './dot-env';
export * from './package-version';
