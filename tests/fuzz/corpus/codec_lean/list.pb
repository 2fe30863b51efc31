2r3BheerlenâêH
