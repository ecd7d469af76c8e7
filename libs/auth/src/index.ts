export * from './decorators/roles.decorator';
