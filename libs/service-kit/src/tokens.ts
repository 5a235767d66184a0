/** DI tokens for ports that have no class of their own. */
export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');
export const MESSAGE_BUS = Symbol('MESSAGE_BUS');
export const TOPICS = Symbol('TOPICS');
