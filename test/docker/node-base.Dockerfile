# Local stand-in for node:22-bookworm-slim (test/docker/bases.sh): Debian minbase + the Node 22
# binary of the `node` npm package + the machine's npm. Build context: a dir with `node` and `npm/`.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
COPY node /usr/local/bin/node
COPY npm/ /usr/local/lib/node_modules/npm/
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
CMD ["node"]
