# The API and the worker: one image, two commands (docker-compose.yml).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
# Dev dependencies included: the services run TypeScript through tsx.
RUN npm ci --no-audit --no-fund
COPY . .
# Not root: the processes write only to DATA_DIR (the app-data volume in compose, which takes this folder's owner).
RUN mkdir -p /app/.data && chown node:node /app/.data && chmod 700 /app/.data
USER node
ENV HOST=0.0.0.0 PORT=3000 DATA_DIR=/app/.data
EXPOSE 3000
CMD ["npm", "run", "api"]
