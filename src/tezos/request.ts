// A signing request's decoded types and its decoder, in one import for policy, the watermark and the server.
// The types live in sign-request.ts so the decoders need not import this file.

/** decodeRequest(bytes) → SignRequest | throws DecodeError; watermarkSlotOf for the watermark. */
export { decodeRequest, type WatermarkSlot, watermarkSlotOf } from './decode.js';

/** The one error a decoder throws (defined in decode-error.ts so decoders need not import this file). */
export { DecodeError } from './decode-error.js';
export type * from './sign-request.js';
