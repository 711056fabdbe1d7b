package io.mltrace.benchmarks.overhead;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Which arms are mltrace's own: the peer comparison reruns a crashed JVM only for the others. */
class PeerTest {
  @Test
  void onlyTheAgentsOwnArmsAreMltrace() {
    List<Peer> own = Arrays.stream(Peer.values()).filter(Peer::isMltrace).collect(Collectors.toList());
    assertEquals(List.of(Peer.MLTRACE_OFF, Peer.MLTRACE_DEFAULT, Peer.MLTRACE_FULL, Peer.MLTRACE_FULL_PROFILED),
        own);
  }
}
