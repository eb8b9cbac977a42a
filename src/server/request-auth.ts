// Maps the authenticator's verdict to the HTTP answer: 401 missing, 403 invalid (docs/protocol.md, "Errors").

import { AuthenticationError } from '../auth/errors.js';
import type { RequestAuthenticator } from '../auth/request-authenticator.js';

export function requireAuthentication(
  auth: RequestAuthenticator,
): (pkh: string, msg: Uint8Array, authentication: string | undefined) => void {
  return (pkh, msg, authentication) => {
    const verdict = auth.check(pkh, msg, authentication);
    if (verdict === 'missing') {
      throw new AuthenticationError(
        'missing',
        `authentication required for ${pkh}: missing authentication signature`,
      );
    }
    if (verdict === 'invalid') {
      throw new AuthenticationError('invalid', `invalid authentication signature for ${pkh}`);
    }
  };
}
