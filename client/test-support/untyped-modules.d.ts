// The Babel pieces used only by the component-test plugin ship no types; this is the little of them it calls.
declare module "babel-preset-solid" {
  const preset: object;
  export default preset;
}
declare module "@babel/plugin-syntax-typescript" {
  const plugin: object;
  export default plugin;
}
declare module "@babel/core" {
  export function transformAsync(
    code: string,
    options: { filename: string; babelrc: boolean; configFile: boolean; presets: unknown[]; plugins: unknown[] },
  ): Promise<{ code?: string | null } | null>;
}
