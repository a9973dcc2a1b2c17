/**
 * The Shiki themes of every highlighted code block (Markdown fences and <SourceRegion>):
 * GitHub's current default pair, whose token colours all keep 4.5:1 on their own
 * background (github-light's orange #e36209 on white was 3.48:1, github-dark's comments
 * #6a737d on #24292e 3.04:1). The dark one is applied by global.css under data-theme="dark".
 */
export const codeThemes = { light: 'github-light-default', dark: 'github-dark-default' } as const;
