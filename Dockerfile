# syntax=docker/dockerfile:1
# library-management-system: Spring Boot jar built with the Gradle wrapper, run on a JRE 17 as a non-root user.
# Build context: the application's repository (dockerContext, "." when this program sits in it).
# Maven variant of the build stage: copy mvnw, .mvn/ and pom.xml, `./mvnw -B dependency:go-offline`,
# copy src/, `./mvnw -B -DskipTests package`, and take the jar from target/ instead of build/libs/.

FROM eclipse-temurin:17-jdk-jammy AS build
WORKDIR /workspace
# Dependencies first, so a source change does not download them again.
COPY gradlew settings.gradle* build.gradle* gradle.properties* ./
COPY gradle ./gradle
RUN chmod +x gradlew && ./gradlew --no-daemon --quiet dependencies > /dev/null
COPY src ./src
# Spring Boot also writes a "-plain" jar without dependencies; keep the executable one.
RUN ./gradlew --no-daemon bootJar -x test \
    && find build/libs -name '*.jar' ! -name '*-plain.jar' -exec cp {} app.jar \;

FROM eclipse-temurin:17-jre-jammy
# curl: the ECS health check runs `curl -f http://localhost:8081/actuator/health`.
# Unpinned on purpose: the Ubuntu archive keeps only the current security build, so a pinned version stops building.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin spring
WORKDIR /app
COPY --from=build --chown=10001:10001 /workspace/app.jar /app/app.jar
USER 10001
EXPOSE 8081
# Size the heap from the task's memory limit (cgroup aware) and leave room for metaspace, threads and buffers.
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75.0 -XX:InitialRAMPercentage=50.0 -XX:+ExitOnOutOfMemoryError" \
    SERVER_PORT=8081
ENTRYPOINT ["java", "-jar", "/app/app.jar"]
