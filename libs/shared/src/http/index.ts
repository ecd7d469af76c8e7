export * from './no-fields.request.dto';
export * from './if-present';
export * from './column-ranges';
export * from './cursor';
export * from './as-sent';
export * from './page.request.dto';
export * from './api-errors';
export * from './validation.pipe';
