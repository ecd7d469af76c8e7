export * from './tally-env';
export * from './tally-config.module';
export * from './dot-env';
export * from './configuration-error';
export * from './package-version';
