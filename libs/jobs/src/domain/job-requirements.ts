/**
 * What a job's `requirements` may ask of a prover. The rules (the prover attribute table
 * and its value domains) live in the services lib, which jobs imports, so that a service's
 * `hardware_requirements` are checked by the very same rules.
 */
export { findRequirementsProblem, requirementsProblem } from '@tally/services';
