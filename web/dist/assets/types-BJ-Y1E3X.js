const s={open:"登记中",drawn:"已抽样",closed:"已结束"},a={satisfied:"满意",basic:"基本满意",unsatisfied:"不满意"};export{a as R,s as S};
