import { asAny, type ApiModule } from '../module.js';
import activate from './mfa.activate.js';
import confirm from './mfa.confirm.js';
import challenge from './mfa.challenge.js';
import verify from './mfa.verify.js';
import deactivate from './mfa.deactivate.js';
import recover from './mfa.recover.js';

/** Multi-factor authentication (reference: "Multi-factor authentication"; docs/api.md#multi-factor-authentication). */
export const mfaModule: ApiModule = {
  methods: [asAny(activate), asAny(confirm), asAny(challenge), asAny(verify), asAny(deactivate), asAny(recover)],
  routes: [
    { verb: 'POST', path: '/mfa/activate', method: 'mfa.activate', params: 'body' },
    { verb: 'POST', path: '/mfa/confirm', method: 'mfa.confirm', params: 'body' },
    { verb: 'POST', path: '/mfa/challenge', method: 'mfa.challenge', params: 'body' },
    { verb: 'POST', path: '/mfa/verify', method: 'mfa.verify', params: 'body' },
    { verb: 'POST', path: '/mfa/deactivate', method: 'mfa.deactivate', params: 'body' },
    { verb: 'POST', path: '/mfa/recover', method: 'mfa.recover', params: 'body' },
  ],
};
