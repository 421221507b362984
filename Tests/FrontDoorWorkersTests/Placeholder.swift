import Testing
@testable import FrontDoorWorkers
