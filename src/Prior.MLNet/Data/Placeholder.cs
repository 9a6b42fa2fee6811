namespace Prior.MLNet.Data;
