export * from './no-fields.request.dto';
export * from './cursor';
