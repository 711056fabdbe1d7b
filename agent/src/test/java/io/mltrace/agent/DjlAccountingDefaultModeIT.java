package io.mltrace.agent;

/**
 * {@link DjlAccountingIT}'s job and checks in the production mode (the agent's defaults: one step in 100 detailed, the
 * others counted): the injected data delay, forced GCs and busy listener are recovered in counted steps too.
 */
class DjlAccountingDefaultModeIT extends DjlAccountingIT {
  @Override
  String modeOptions() {
    return "mode=default";
  }

  @Override
  boolean everyStepDetailed() {
    return false;
  }
}
