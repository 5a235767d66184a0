/** The PostgreSQL schema the orchestrator owns: its read models, jobs, inbox and outbox. */
export const ORCHESTRATOR_SCHEMA = 'orchestrator';
