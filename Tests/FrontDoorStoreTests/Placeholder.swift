import Testing
@testable import FrontDoorStore
