export * from './age';
export * from './bundle';
export * from './json';
export * from './seal';
export * from './signature';
