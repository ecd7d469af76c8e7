export * from './domain';
export * from './services.module';
export * from './service-registry/service-registry';
export * from './commands/put-service/put-service.command';
export * from './seed/seed-services';
