import { defineConfig } from "vite";

// The bundle goes to dist/; the node's build copies it into its output as wwwroot/ and serves it at /.
export default defineConfig({
  base: "./",
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, target: "es2022" },
  server: {
    // `npm run dev` against a node on the default web port.
    proxy: { "/v1": { target: "http://127.0.0.1:4780", ws: true } },
  },
  test: { include: ["test/**/*.test.ts"], environment: "node" },
} as never);
