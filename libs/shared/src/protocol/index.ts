export * from './protocol-version';
