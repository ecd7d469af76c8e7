export * from './coalesced';
