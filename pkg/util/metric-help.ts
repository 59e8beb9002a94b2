// Help texts as component-base prints them: led by the metric's stability level
// (k8s.io/component-base/metrics StabilityLevel; "[ALPHA] ..." in a /metrics page's # HELP line).

export const alpha = (help: string): string => `[ALPHA] ${help}`;
export const beta = (help: string): string => `[BETA] ${help}`;
export const stable = (help: string): string => `[STABLE] ${help}`;
