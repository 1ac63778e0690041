// The protobuf schema as a JSON descriptor, made by web/build.mjs from
// src/proto/faultline.proto (protobufjs root.toJSON()).
declare module 'virtual:faultline-schema' {
  const schema: { nested?: Record<string, { nested?: Record<string, never> }> };
  export default schema;
}

// CSS imports are bundled into app.css by esbuild.
declare module '*.css';
