/** Which database the service runs on, as reported by /v1/system/info. */
export type DatabaseKind = 'embedded' | 'postgres';
