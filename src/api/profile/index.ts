import { asAny, type ApiModule } from '../module.js';
import getPublic from './profile.get-public.js';
import get from './profile.get.js';
import update from './profile.update.js';
import updatePublic from './profile.update-public.js';
import getApp from './profile.get-app.js';
import updateApp from './profile.update-app.js';

export const profileModule: ApiModule = {
  methods: [asAny(getPublic), asAny(get), asAny(update), asAny(updatePublic), asAny(getApp), asAny(updateApp)],
  routes: [
    { verb: 'GET', path: '/profile/public', method: 'profile.getPublic', params: 'query' },
    { verb: 'GET', path: '/profile/private', method: 'profile.get', params: 'query' },
    { verb: 'PUT', path: '/profile/public', method: 'profile.updatePublic', params: 'update' },
    { verb: 'PUT', path: '/profile/private', method: 'profile.update', params: 'update' },
    { verb: 'GET', path: '/profile/app', method: 'profile.getApp', params: 'query' },
    { verb: 'PUT', path: '/profile/app', method: 'profile.updateApp', params: 'update' },
  ],
  // Docs ids (Pryv API §9 #14); both land on the reference methods with `id` defaulting to private.
  aliases: { 'profile.getPrivate': 'profile.get', 'profile.updatePrivate': 'profile.update' },
};
