package io.mltrace.agent;

/**
 * {@link Dl4jAccountingIT}'s job and checks in the production mode (the agent's defaults: one step in 100 detailed, the
 * others counted): the injected data delay, forced GCs and busy listener are recovered in counted steps too.
 */
class Dl4jAccountingDefaultModeIT extends Dl4jAccountingIT {
  @Override
  String modeOptions() {
    return "mode=default";
  }

  @Override
  boolean everyStepDetailed() {
    return false;
  }
}
