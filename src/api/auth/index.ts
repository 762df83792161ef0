import { asAny, type ApiModule } from '../module.js';
import login from './auth.login.js';
import logout from './auth.logout.js';
import getAccessInfo from './get-access-info.js';

export const authModule: ApiModule = {
  methods: [asAny(login), asAny(logout), asAny(getAccessInfo)],
  routes: [
    { verb: 'POST', path: '/auth/login', method: 'auth.login', params: 'body' },
    { verb: 'POST', path: '/auth/logout', method: 'auth.logout', params: 'body' },
    { verb: 'GET', path: '/access-info', method: 'getAccessInfo', params: 'query' },
  ],
};
