// oidc-provider ships no types; identity-provider.ts declares the little of its class it uses.
declare module 'oidc-provider';
