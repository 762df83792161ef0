import { asAny, type ApiModule } from '../module.js';
import get from './account.get.js';
import update from './account.update.js';
import changePassword from './account.change-password.js';
import requestPasswordReset from './account.request-password-reset.js';
import resetPassword from './account.reset-password.js';
import verifyEmail from './account.verify-email.js';

export const accountModule: ApiModule = {
  methods: [asAny(get), asAny(update), asAny(changePassword), asAny(requestPasswordReset), asAny(resetPassword), asAny(verifyEmail)],
  routes: [
    { verb: 'GET', path: '/account', method: 'account.get', params: 'query' },
    { verb: 'PUT', path: '/account', method: 'account.update', params: 'update' },
    { verb: 'POST', path: '/account/change-password', method: 'account.changePassword', params: 'body' },
    { verb: 'POST', path: '/account/request-password-reset', method: 'account.requestPasswordReset', params: 'body' },
    { verb: 'POST', path: '/account/reset-password', method: 'account.resetPassword', params: 'body' },
    { verb: 'POST', path: '/account/verify-email', method: 'account.verifyEmail', params: 'body' },
  ],
};
