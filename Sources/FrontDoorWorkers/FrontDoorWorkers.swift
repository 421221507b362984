import FrontDoorDomain

/// The worker runtime and the four workers.
public enum FrontDoorWorkers {}
