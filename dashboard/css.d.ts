// esbuild bundles imported stylesheets into dashboard.css; they export nothing.
declare module "*.css";
