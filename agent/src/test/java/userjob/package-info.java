/** A job's own code outside the agent's packages, for the weaving cache's tests. */
package userjob;
