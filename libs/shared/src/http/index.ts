export * from './no-fields.request.dto';
