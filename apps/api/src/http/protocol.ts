/** The wire protocol version: the X-Protocol-Version header of every response, and OpenAPI's version. */
export const PROTOCOL_VERSION = '1';
