import { Transform } from 'class-transformer';

/**
 * A free-form JSON field kept exactly as the client sent it. class-transformer copies a
 * plain object it has no type for key by key and skips keys named like Object.prototype
 * members ("toString", "valueOf", …), so such keys would vanish without a word.
 */
export const AsSent = () => Transform(({ obj, key }) => (obj as Record<string, unknown>)[key]);
