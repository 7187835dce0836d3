#!/usr/bin/env bash
# The JMH benchmarks of src/jmh/java (the hit path by layer and size; RFC 9110 rule evaluation).
#   bench/jmh.sh                         # all of them
#   bench/jmh.sh HitPathBenchmark -p layer=memory -prof gc
# Arguments go to JMH (org.openjdk.jmh.Main); results also land in target/jmh-result.json.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/jmh-classpath.txt
java -cp "target/test-classes:target/classes:$(cat target/jmh-classpath.txt)" org.openjdk.jmh.Main \
  -rf json -rff target/jmh-result.json "$@"
