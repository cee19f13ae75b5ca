export * from './ports';
export * from './clipboard-guard';
export * from './autolock';
export * from './quick-unlock';
