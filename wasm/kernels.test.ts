import { referenceBackend } from "../shared/kernels/reference";
import { wasmBackend } from "./index";
import { describeAccumulatorContract } from "./kernels.contract";

describeAccumulatorContract(referenceBackend);
describeAccumulatorContract(wasmBackend);
