# The aksml router image, built from the installed aksml package: `npm run build` lays out
# router-image/ (this file as its Dockerfile, the compiled router in dist/, the router's
# package.json and a lockfile cut from the repository's), and AzuremlFe builds it when it
# runs from node_modules/aksml. In the repository, router/Dockerfile builds from source.
#   docker build -t aksml-router node_modules/aksml/router-image
FROM node:22-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY dist/ dist/
# node:22-slim's `node` user, by number so Kubernetes' runAsNonRoot can verify it; the
# components set the same ids (ROUTER_RUN_AS_USER in router/contract/routerEnvironment.ts).
USER 1000:1000
# Data (HTTP / HTTPS) and admin ports: ROUTER_HTTP_PORT, ROUTER_HTTPS_PORT, ROUTER_ADMIN_PORT.
EXPOSE 8080 8443 9091
ENTRYPOINT ["node", "/app/dist/main.js"]
CMD ["serve"]
