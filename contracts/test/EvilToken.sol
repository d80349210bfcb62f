// SPDX-License-Identifier: MIT
// EvilToken: a MorToken that, once armed, calls back into a target (the Compute Contract) from
// inside transfer and transferFrom, to test that the target refuses reentry. It records whether
// the reentrant call succeeded and what it returned (the revert data), and never lets that call's
// failure fail the outer transfer. For tests only.
pragma solidity ^0.8.24;

import {MorToken} from "../MorToken.sol";

contract EvilToken is MorToken {
    address public target;
    bytes public payload;
    bool public attempted;
    bool public reentryOk;
    bytes public reentryResult;

    function arm(address target_, bytes calldata payload_) external {
        target = target_;
        payload = payload_;
        attempted = false;
    }

    function _attack() private {
        if (target == address(0) || attempted) return;
        attempted = true;
        (bool ok, bytes memory ret) = target.call(payload);
        reentryOk = ok;
        reentryResult = ret;
    }

    function transfer(address to, uint256 value) external override returns (bool) {
        _attack();
        _move(msg.sender, to, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external override returns (bool) {
        _attack();
        if (msg.sender != operator) {
            uint256 allowed = allowance[from][msg.sender];
            if (allowed < value) revert InsufficientAllowance(allowed, value);
            allowance[from][msg.sender] = allowed - value;
        }
        _move(from, to, value);
        return true;
    }
}
