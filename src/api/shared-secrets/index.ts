import { asAny, type ApiModule } from '../module.js';
import create from './shared-secrets.create.js';
import retrieve from './shared-secrets.retrieve.js';
import getOne from './shared-secrets.get-one.js';

/** Shared secrets (reference: "Shared secrets"; docs/api.md#shared-secrets). Keys travel in bodies only. */
export const sharedSecretsModule: ApiModule = {
  methods: [asAny(create), asAny(retrieve), asAny(getOne)],
  routes: [
    { verb: 'POST', path: '/shared-secrets', method: 'sharedSecrets.create', params: 'body' },
    { verb: 'POST', path: '/shared-secrets/retrieve', method: 'sharedSecrets.retrieve', params: 'body' },
    { verb: 'POST', path: '/shared-secrets/status', method: 'sharedSecrets.getOne', params: 'body' },
  ],
};
