import { defineMethod } from '../method.js';
import { asAny, type ApiModule } from '../module.js';
import streamsCreate from './streams.create.js';
import { createStreamsTogether } from './streams-create-group.js';
import streamsDelete from './streams.delete.js';
import streamsGet from './streams.get.js';
import streamsUpdate from './streams.update.js';

// The streams.create calls that follow each other in a batch share one tree (issue #10). Joined here
// rather than in streams.create.ts: the group path types its params from that method's schema.
const streamsCreateGrouped = defineMethod({ ...streamsCreate, group: createStreamsTogether });

export const streamsModule: ApiModule = {
  methods: [asAny(streamsGet), asAny(streamsCreateGrouped), asAny(streamsUpdate), asAny(streamsDelete)],
  routes: [
    { verb: 'GET', path: '/streams', method: 'streams.get', params: 'query' },
    { verb: 'POST', path: '/streams', method: 'streams.create', params: 'body' },
    { verb: 'PUT', path: '/streams/:id', method: 'streams.update', params: 'update' },
    { verb: 'DELETE', path: '/streams/:id', method: 'streams.delete', params: 'path+query' },
  ],
};
